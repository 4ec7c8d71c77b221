"""Rights inquiries: the public form, routing, submission, answering and the email outbox."""
