//! Typed async client for the Bitbucket Data Center REST API.
