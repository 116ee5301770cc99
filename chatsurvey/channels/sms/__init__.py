"""SMS through Twilio: the webhook (`POST /sms/inbound`), answered in TwiML."""
