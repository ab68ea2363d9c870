/* The entry screen: autosave to the server, live likely-duplicates, legacy-text paste, keyboard.
   No dependencies; everything works without it (the form posts normally). */
(function () {
  "use strict";
  var form = document.getElementById("entry-form");
  // After a refused save: focus the first field in error (the summary above lists them all).
  var firstInvalid = form && form.querySelector(".invalid input, .invalid select, .invalid textarea");
  if (firstInvalid) { firstInvalid.focus(); }
  if (!form) return;
  var url = form.dataset.autosaveUrl;
  var legacyUrl = form.dataset.legacyUrl;
  var status = form.querySelector(".autosave-status");
  var panel = document.querySelector("#duplicates .dup-list");
  var box = document.getElementById("duplicates");
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var dirty = false, busy = false, submitting = false;
  var INTERVAL_MS = 3000;

  function payload() {
    var data = new FormData(form);
    data.delete("version");
    return data;
  }

  function esc(text) {
    var d = document.createElement("div");
    d.textContent = text == null ? "" : String(text);
    return d.innerHTML;
  }

  function showCandidates(list) {
    if (!panel) return;
    box.classList.toggle("has-candidates", list.length > 0);
    if (!list.length) { panel.innerHTML = '<p class="muted">' + esc(panel.dataset.none || "—") + "</p>"; return; }
    panel.innerHTML = list.map(function (c) {
      if (!c.visible) return '<div class="dup"><small>' + esc(c.message) + "</small></div>";
      var head = '<a href="' + esc(c.url) + '" target="_blank" rel="noopener">' + esc(c.name || "—") + "</a> · " + esc(c.birth_date || "—") +
          "<br><small>" + esc(c.book) + ", " + esc(c.entry_no) + " · " + esc(c.unit) + " · " + esc(c.state) + "</small>";
      return '<div class="dup"><strong class="score">' + esc(c.score) + "</strong> " + head +
        '<br><small class="muted">' + esc((c.reasons || []).join("; ")) + "</small></div>";
    }).join("");
  }

  function save(beacon) {
    if (!dirty || busy || submitting) return;
    if (beacon && navigator.sendBeacon) {
      var data = payload();
      data.append("csrfmiddlewaretoken", csrf);
      navigator.sendBeacon(url, data);
      dirty = false;
      return;
    }
    busy = true; dirty = false; form.dataset.autosave = "saving";
    var failed = false;
    fetch(url, { method: "POST", body: payload(), headers: { "X-CSRFToken": csrf }, credentials: "same-origin" })
      .then(function (r) { return r.json().then(function (j) { return [r.ok, j]; }); })
      .then(function (res) {
        if (res[0]) {
          status.textContent = (status.dataset.saved || "Draft saved") + " " + res[1].saved_at;
          showCandidates(res[1].duplicates || []);
        } else { status.textContent = res[1].error || ""; dirty = true; }
      })
      .catch(function () { failed = dirty = true; status.textContent = status.dataset.offline || "Offline: will retry"; })
      .finally(function () {
        busy = false;
        // Typing went on while this save was on its way: send the rest now, not at the next tick.
        if (failed) { form.dataset.autosave = "offline"; }  // the interval tries again
        else if (dirty) { save(false); } else { form.dataset.autosave = "saved"; }
      });
  }

  form.addEventListener("input", function () { dirty = true; form.dataset.autosave = "dirty"; });
  form.addEventListener("change", function () { dirty = true; form.dataset.autosave = "dirty"; });
  form.addEventListener("focusout", function () { save(false); });
  form.addEventListener("submit", function () { submitting = true; });
  setInterval(function () { save(false); }, INTERVAL_MS);
  window.addEventListener("pagehide", function () { save(true); });
  document.addEventListener("visibilitychange", function () { if (document.visibilityState === "hidden") save(true); });

  // Text pasted from an old .VnTime / VNI-Times document: convert it to Unicode on the spot.
  form.addEventListener("paste", function (ev) {
    var field = ev.target;
    if (!(field instanceof HTMLInputElement || field instanceof HTMLTextAreaElement)) return;
    var text = (ev.clipboardData || window.clipboardData).getData("text");
    if (!text || !/[\u0080-\u00ff]/.test(text)) return;
    ev.preventDefault();
    var body = new FormData();
    body.append("text", text);
    fetch(legacyUrl, { method: "POST", body: body, headers: { "X-CSRFToken": csrf }, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (j) {
        var start = field.selectionStart, end = field.selectionEnd;
        field.value = field.value.slice(0, start) + j.text + field.value.slice(end);
        if (j.message) status.textContent = j.message;
        dirty = true;
      })
      .catch(function () { field.setRangeText(text); dirty = true; });
  });

  // Enter saves and opens the next case (the first submit button); in a textarea it is a new line.
  form.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && ev.target.tagName === "SELECT") {
      ev.preventDefault();
      form.querySelector("button[type=submit]").click();
    }
  });
})();
