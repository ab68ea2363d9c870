from django.contrib import admin

from registry.models import AdministrativeUnit, CivilRecord, DigitizationPhase, RegisterBook


@admin.register(AdministrativeUnit)
class AdministrativeUnitAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "level", "era", "parent", "successor")
    list_filter = ("era", "level")
    search_fields = ("name", "code")
    raw_id_fields = ("parent", "successor")
    readonly_fields = ("path", "depth")


@admin.register(DigitizationPhase)
class DigitizationPhaseAdmin(admin.ModelAdmin):
    list_display = ("number", "name", "year_from", "year_to")


@admin.register(RegisterBook)
class RegisterBookAdmin(admin.ModelAdmin):
    list_display = ("__str__", "custodian", "event_type", "year", "book_no", "declared_cases", "phase")
    list_filter = ("event_type", "phase")
    raw_id_fields = ("custodian", "authority_unit", "created_by")


@admin.register(CivilRecord)
class CivilRecordAdmin(admin.ModelAdmin):
    """Read-only: records change only through the workflow services."""

    list_display = ("__str__", "unit", "state", "version")
    list_filter = ("state", "event_type")
    list_select_related = ("book", "unit")
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
