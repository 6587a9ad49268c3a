package server

// BodiesInFlight reports the bytes of API request bodies s holds now and the most it ever
// held at once, for tests of the bound.
func BodiesInFlight(s *Server) (used, peak int64) { return s.bodies.inFlight() }
