"""Alembic's environment for the case log: always run on a connection the project hands over.

`inference.cases.database` opens the connection (SQLite or PostgreSQL) and
passes it in `config.attributes`, so no URL is read from an ini file here.
"""

from alembic import context

from inference.cases.schema import Base

connection = context.config.attributes["connection"]
# render_as_batch: SQLite cannot ALTER most things in place; batch mode copies the table instead.
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
