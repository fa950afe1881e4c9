"""The Streamlit dashboard; it reads only through `warehouse`, and nothing imports it."""
