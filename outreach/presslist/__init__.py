"""The press list.

    contacts      journalists, outlets, lists, interactions, saved views, deletes with undo
    fields        the rules for each field of a journalist's record
    importing     CSV and XLSX in (read, map, plan, write) and our CSV out
    spokespeople  the members who may speak to the press
"""
