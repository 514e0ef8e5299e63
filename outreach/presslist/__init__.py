"""The press list: journalists, outlets, lists, spokespeople, import and export."""
