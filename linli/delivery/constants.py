"""Numbers behind door-delivery planning, in one place."""

# Eligibility (proposal S4, problem P4).
AGED_ALONE_YEARS = 70
# A chronically ill resident this old is treated as bedridden-frail: they do not queue.
CHRONIC_FRAIL_YEARS = 80

# Speeds on the site plan, in metres per second, with a loaded bag or cart; paths through old
# estates wind, so straight-line metres are stretched by DETOUR.
SPEED_MPS = {"walk": 1.1, "cycle": 3.0}
DETOUR = 1.3
# Bags one volunteer carries per trip, by mode (they may come back to the start for more).
CAPACITY_BAGS = {"walk": 4, "cycle": 12}

# At each door: hand over at the door, no contact; plus the stairs where there is no lift.
SERVICE_SECONDS = 150
STAIRS_SECONDS_PER_FLOOR = 20

# The round's delivery window when the round does not say: from pickup start, this long.
DEFAULT_WINDOW_HOURS = 3
DEFAULT_SHIFT_MINUTES = 180
DEFAULT_SECONDS = 10
MAX_SECONDS = 120
MAX_VOLUNTEERS = 100
# The search also stops after this many iterations without a better plan.
STALL_ITERATIONS = 10_000
