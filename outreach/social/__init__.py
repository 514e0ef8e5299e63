"""Social platforms: text rules shared by the composer, and one adapter per platform."""
