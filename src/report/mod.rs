//! One report model, rendered to markdown (PR body, comment, job summary), JSON and JUnit.
