"""publisher: build a report's PDF, EPUB and web page from one content folder."""

__version__ = "0.1.0"
