"""The measures catalogue published (四张清单) and the credit office's views of measures."""
