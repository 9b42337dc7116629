from decimal import Decimal

# A temperature at or above this (°C, armpit) is a fever in China's screening rules.
FEVER_CELSIUS = Decimal("37.3")
# The range a thermometer reading can plausibly take; anything else is a typing mistake.
MIN_CELSIUS = Decimal("34.0")
MAX_CELSIUS = Decimal("43.0")
# How many days a quarantine may be extended by at one time.
MAX_EXTENSION_DAYS = 28
