//! The Databricks workspace client: auth, retries, rate limits, Genie spaces and conversations,
//! SQL statements and serving endpoints. One of the only modules that touch the network.
