"""What people read: HTML reports, plotly figures, Excel workbooks and result folders.

Outside the engine (`optimizer`), which never imports plotly or openpyxl; the CLI, the HTTP service
and the notebooks use it on top of `optimizer`'s public API.
"""
