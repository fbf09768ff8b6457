"""The limits on content, in one place: each keeps the work an accepted report can cause bounded.

A report's content is untrusted (README, "Threat model"): a few kilobytes of YAML or Markdown can
otherwise ask for minutes of work or gigabytes of memory (alias bombs, nested emphasis, a table
of 30,000 rows). Every limit here is far above what a real report needs — the first report's
largest paragraph has 1,429 characters, its largest table 10 rows, its longest chart 34 rows —
and low enough that the largest input it allows renders in seconds. Going over one is an error
with its file and line, and docs/content-format.md ("Limits") lists them all; a test checks that
the list there matches these values.
"""

from __future__ import annotations

# --- files ----------------------------------------------------------------------------------
MAX_YAML_FILE = 1_000_000  # bytes of report.yaml, references.yaml, glossary.yaml or a data file
MAX_CHAPTER_FILE = 2_000_000  # bytes of a chapter or front-matter file
MAX_REPORT_TEXT = 2_000_000  # bytes of every YAML and Markdown file of the report together
MAX_DOCUMENTS = 200  # chapters and front-matter sections
MAX_PATH_DEPTH = 32  # folders from the content folder to a file it uses (or any folder watched)
MAX_NAME = 64  # characters of the report's id, a chapter's slug (they name files), a reference key, an abbreviation
MAX_ID = 40  # characters of a figure or table id (it names the chart's files in the EPUB)

# --- YAML -------------------------------------------------------------------------------------
MAX_YAML_NODES = 100_000  # values in one YAML document, counting each use of an alias in full
MAX_YAML_TEXT = 2_000_000  # characters of text in one YAML document, counting aliases in full
MAX_YAML_DEPTH = 100  # lists and mappings nested in one another
MAX_NUMBER_DIGITS = 100  # characters of a number written in YAML (quote longer ones as text)

# --- Markdown ---------------------------------------------------------------------------------
MAX_PARAGRAPH = 10_000  # characters of one paragraph, heading, list item's text or table cell
MAX_INLINE_DEPTH = 20  # emphasis, links and other inline markup nested in one another
MAX_BLOCK_DEPTH = 20  # lists and block quotes nested in one another (markdown-it's maxNesting)
MAX_ELEMENTS = 10_000  # elements (paragraphs, emphasis, citations …) of one document's Markdown
MAX_REPORT_ELEMENTS = 20_000  # elements of the whole report: its Markdown, table cells, captions, chart rows (3 each)
MAX_FOOTNOTE_LABEL = 100  # characters of a footnote label ([^label])
MAX_CITATION = 10_000  # characters of a citation ([@key, p. 4; @other]): as long as a paragraph may be
MAX_LINK_TEXT = 1_000  # characters of a link's text ([text](https://…)) or an inline note's (^[text])

# --- figures and tables -----------------------------------------------------------------------
MAX_TABLE_ROWS = 500  # rows of a table (a table block or a Markdown pipe table)
MAX_TABLE_COLUMNS = 10  # columns of a table
MAX_CHART_ROWS = 200  # rows of a chart's data
MAX_TIMELINE_LEVELS = 20  # lanes (distinct levels) of a timeline
MAX_CHART_SERIES = 6  # series of a grouped or stacked bar chart or of a line chart (colours that stay apart)
MAX_CHART_JSON = 500_000  # bytes of a map's boundaries (TopoJSON) or of a Vega-Lite specification
MAX_MAP_POINTS = 50_000  # positions in a map's boundaries (the real report's have 4,400)

# --- images (see image.py) ---------------------------------------------------------------------
MAX_IMAGE_FILE = 10_000_000  # bytes of an image file
MAX_IMAGE_PIXELS = 40_000_000  # width × height of a raster image (an A4 page at 600 dpi is 35 Mpx)
MAX_IMAGE_SIDE = 12_000  # pixels of either side of a raster image
MAX_SVG_ELEMENTS = 100_000  # elements of an SVG file, and elements it draws counting each <use> in full
MAX_SVG_DEPTH = 100  # elements of an SVG file nested in one another
MAX_REPORT_IMAGES = 100_000_000  # bytes of all the report's image files together (they are kept in memory)
