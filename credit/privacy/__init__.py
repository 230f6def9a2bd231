"""Personal data inside free text: what is found, how it is masked, and who reads text in full.

`numbers` finds identifiers in any spelling (resident ID numbers, phone numbers, bank cards, e-mail
addresses), `names` builds the patterns of a person's name and address in every script, spacing and
romanisation, `redactor` joins them into the one cleaning function of a subject's texts, and `view`
decides per viewer whether a text is read as written, cleaned, or withheld. docs/privacy.md says what
is masked for whom, and why (《个人信息保护法》).
"""
