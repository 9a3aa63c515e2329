"""Centre compliance self-check: the 附件2 regulation as pure rules over a centre's records."""
