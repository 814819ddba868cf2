"""The command line (``kavosh``) and the web page (Streamlit); both call ``kavosh.service``."""
