"""Models of this app: staff, criminal-record checks, dismissals ([vetting])."""
