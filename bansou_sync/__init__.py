"""bansou-sync: the paperwork of the 伴走支援事業, from Google Forms to a status Sheet and emails."""

__version__ = "0.1.0"
