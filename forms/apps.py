from django.apps import AppConfig


class FormsConfig(AppConfig):
    name = "forms"
    label = "entry_forms"
    verbose_name = "Biểu mẫu nhập liệu"
