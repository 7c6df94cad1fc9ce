"""What a plan produces: tables, the whole-patient plan, patient proposals, and comparisons of plans."""
