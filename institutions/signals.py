"""What the register tells the apps above it, which it must not import."""

from django.dispatch import Signal

# Institutions moved county or sector (`county_codes`: the counties before and after). Apps
# that keep figures grouped by county or sector (fees' kept copies) count them again.
institutions_moved = Signal()
