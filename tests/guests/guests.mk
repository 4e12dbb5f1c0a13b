# Guest images: filled in as guests are added.
GUEST_ELFS :=
