"""The font every PDF of the platform sets Chinese in. Pure: reportlab only.

STSong-Light is one of reportlab's built-in CID fonts: every PDF reader provides it, so
nothing is embedded and nothing is downloaded. Registering it once, here, serves every
PDF builder. It has no glyph for the middle dot "·": builders avoid that character.
"""

from __future__ import annotations

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont

CHINESE_FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(CHINESE_FONT))
