"""The pass over episodes: frames -> cascades -> CNN -> warehouse rows and FAISS vectors."""
