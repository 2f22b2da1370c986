"""Services: carry out what the pure workflow decides, on the operational store."""
