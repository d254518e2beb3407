"""Models of this app: complaints and tips, referrals to public security ([complaints-fees])."""
