"""The DuckDB warehouse (schema, queries, SQL sandbox) and the FAISS store of face embeddings."""
