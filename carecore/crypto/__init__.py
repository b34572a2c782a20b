"""Field encryption at rest and blind indexes (see docs/decisions/0003-field-encryption.md).

Modules: `fields` (encrypted model fields), `cipher` (bytes for attachments, key ids, rotation
status), `blind_index` (exact-match lookup), `keys` (the key ring), `exceptions`, `checks`.
"""
