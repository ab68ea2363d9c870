from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Tài khoản"

    def ready(self) -> None:
        from accounts import auth_audit, sessions

        auth_audit.connect()
        sessions.connect()
