"""Persistence of the clinic application: the model, migrations, the audit trail."""
