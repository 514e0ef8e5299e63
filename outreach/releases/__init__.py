"""Releases, advisories and statements, and the rule that protects members.

    drafts           drafts from templates, versions, submitting, votes, export
    approval         committee votes and the rules that count them (posts use it too)
    templates        the sandboxed release templates and their Markdown, HTML, text, docx
    protected_names  the protected-names list and the check every word that leaves passes
"""
