"""One router per resource; `ALL` is the order the app includes them in."""
