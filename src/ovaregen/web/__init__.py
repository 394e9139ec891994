"""The clinic web application (FastAPI): thin routers over ``ovaregen.clinic`` services."""
