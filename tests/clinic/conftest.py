from tests.clinic_fixtures import clinic_app, clinic_database, login, sqlite_database

__all__ = ["clinic_app", "clinic_database", "login", "sqlite_database"]
