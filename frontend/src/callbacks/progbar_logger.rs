//! PLACEHOLDER (being written): ProgbarLogger.
