"""capplan: surgical capacity allocation for Sjukvårdsregion Mellansverige.

The command-line front end lives here (`capplan.cli`); the engine is `optimizer`, the domain `models`.
"""

__version__ = "0.1.0"
