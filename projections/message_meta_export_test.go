package projections

import "github.com/ThreeDotsLabs/watermill/message"

// MetadataFast is what the flat-metadata fast path copies, and whether it
// took the metadata; MetadataGeneral is what the general decoder copies.
func MetadataFast(data []byte) (map[string]string, bool) {
	msg := message.NewMessage("m", nil)
	ok := setFlatMetadata(msg, data)
	return msg.Metadata, ok
}

func MetadataGeneral(data []byte) map[string]string {
	msg := message.NewMessage("m", nil)
	setMetadata(msg, data)
	return msg.Metadata
}
