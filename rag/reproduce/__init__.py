"""Running a report's example to see which code it reaches (`rag ask --run`)."""
