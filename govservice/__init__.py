"""govservice: online permits and one-stop services for a fire & rescue department."""

__version__ = "0.1.0"
