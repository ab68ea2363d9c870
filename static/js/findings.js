// The inspection form of a sampled case (contracts): "Add a finding" appends an empty row of the formset.
(function () {
  var total = document.getElementById("id_form-TOTAL_FORMS");
  var add = document.getElementById("add-finding");
  if (!total || !add) { return; }
  add.addEventListener("click", function () {
    var html = document.getElementById("finding-template").innerHTML.replace(/__prefix__/g, total.value);
    document.getElementById("finding-rows").insertAdjacentHTML("beforeend", html);
    total.value = String(Number(total.value) + 1);
  });
  if (Number(total.value) === 0) { add.click(); }
})();
