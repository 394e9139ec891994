"""The clinic's workflows (services): users, studies, screening, forms, randomisation, audit.

Routers in ``ovaregen.web`` and the command line call these; they call the store. Each service
takes a SQLAlchemy session inside the caller's transaction and the acting user's name, and
writes its own audit entries.
"""
