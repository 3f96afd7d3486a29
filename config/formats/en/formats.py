"""Date formats when the interface is in English: dates are still typed the Vietnamese way.

The records and the people typing them are Vietnamese whatever the interface language; 05/03/2025
must mean 5 March for everyone, not 3 May as in Django's English formats.
"""

from config.formats.vi.formats import DATE_INPUT_FORMATS

__all__ = ["DATE_INPUT_FORMATS"]
