"""The second factor: TOTP devices and one-time backup codes (django-otp).

`middleware` keeps a password-only session away from everything but the verify and
enrolment pages when `LOCATR_MFA_REQUIRED` is on; `services` enrol, verify, renew
backup codes and reset a lost device; every event goes to the sign-in audit
(`signals.second_factor_event`, recorded by levelofcare.audit.signals).
"""
