from django.contrib import admin

from audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only view of the trail; rows are never edited (verify_audit would report it)."""

    list_display = ("at", "stream", "seq", "kind", "action", "actor_name", "object_type", "object_id")
    list_filter = ("kind", "action")
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
