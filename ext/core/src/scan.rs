//! Tag scanner over whole archives. OWNER: scan helper.
