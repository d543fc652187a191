"""A package of the held-out application, so that its exception classes
print package-qualified (``billing.errors.PaymentRejected``)."""
