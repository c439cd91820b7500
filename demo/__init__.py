"""`make demo`: runs the examples as a user would, replaying recorded answers when no key is set."""
