import PolyclearISO20022
import PolyclearTestSupport
import Testing

/// What the parser refuses, each with its stable code — before building anything past a limit.
@Suite(.offTheSharedPool) struct XMLSafetyTests {
    static let document =
        #"<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.002.001.10"><FIToFIPmtStsRpt><GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-11-29T10:00:00Z</CreDtTm></GrpHdr></FIToFIPmtStsRpt></Document>"#

    @Test func aPlainDocumentParses() throws {
        let message = try ISOMessage.parse(Self.document)
        #expect(message.document.messageID == "M1")
    }

    @Test(arguments: [
        // Entity expansion in every form: refused because there is no DTD at all.
        (
            #"<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><Document>&b;</Document>"#,
            XMLParseError.Code.dtdForbidden
        ),
        (#"<?xml version="1.0"?><!DOCTYPE d SYSTEM "file:///etc/passwd"><Document/>"#, .dtdForbidden),
        (#"<Document><x><!ENTITY e "v"></x></Document>"#, .dtdForbidden),
        (#"<Document>&xxe;</Document>"#, .undeclaredEntity),
        (#"<Document attr="&ext;"/>"#, .undeclaredEntity),
        // Broken XML.
        (#"<Document><a></b></Document>"#, .malformed),
        (#"<Document>"#, .malformed),
        (#"<Document a=1/>"#, .malformed),
        (#"<Document a="1" a="2"/>"#, .malformed),
        (#"<Document/><Document/>"#, .malformed),
        (#"just text"#, .malformed),
        (#"<Document>&#0;</Document>"#, .forbiddenCharacter),
        (#"<p:Document/>"#, .undeclaredPrefix),
        (#"<?xml version="1.0" encoding="ISO-8859-1"?><Document/>"#, .notUTF8),
    ])
    func unsafeOrBrokenXMLIsRefused(xml: String, code: XMLParseError.Code) {
        #expect(throws: XMLParseError.self) { try XMLParser.parse(xml) }
        do { _ = try XMLParser.parse(xml) } catch { #expect(error.code == code, "\(error)") }
        // Through the message reader: the same refusal, as xml_invalid naming the cause.
        do { _ = try ISOMessage.parse(xml); Issue.record("accepted") } catch {
            #expect(error.code == .xml && error.reason.hasPrefix(code.rawValue), "\(error)")
        }
    }

    /// Characters XML 1.0 forbids — raw or by reference — are refused with their own code
    /// (a raw NUL or `&#x1F;` in a name used to pass into the hub and its reports).
    @Test(arguments: [
        "<r>a\u{0}b</r>", "<r>&#x1F;</r>", "<r>&#0;</r>", "<r>&#xFFFE;</r>", "<r a=\"\u{1}\"/>", "<r>\u{FFFF}</r>",
        "<r>&#27;</r>",
    ])
    func charactersXMLForbidsAreRefused(xml: String) {
        do { _ = try XMLParser.parse(xml); Issue.record("accepted \(xml.debugDescription)") } catch {
            #expect(error.code == .forbiddenCharacter, "\(xml.debugDescription)")
        }
    }

    /// A refusal names the line it happened on; a closing tag must repeat the opening name
    /// exactly (not a prefix of it, not a longer one).
    @Test func refusalsNameTheLineAndClosingNamesMatchExactly() throws {
        for (xml, line) in [
            ("<r>\n<a>\n</b>\n</r>", 3), ("<r>\n\n<ab></a></r>", 3), ("<r><a></ab>\n</r>", 1),
            ("<r>\n\n\n<a>\u{1}</a></r>", 4), ("<r>\n&bad;</r>", 2),
        ] {
            do { _ = try XMLParser.parse(xml); Issue.record("accepted \(xml.debugDescription)") } catch {
                #expect(error.line == line, "\(xml.debugDescription): \(error)")
            }
        }
        let parsed = try XMLParser.parse("<p:r xmlns:p=\"urn:x\"><p:a>1</p:a ></p:r>")
        #expect(parsed.name == "r" && parsed.namespace == "urn:x" && parsed.child("a")?.text == "1")
    }

    @Test func whiteSpaceAndOtherCharactersPass() throws {
        let parsed = try XMLParser.parse("<r>\t&#x9;&#xA;&#13; é \u{10FFFF} &#xD7FF;</r>")
        #expect(parsed.text.unicodeScalars.first == "\t")
    }

    @Test func invalidUTF8IsRefused() {
        let bytes = Array("<Document>".utf8) + [0xC3, 0x28] + Array("</Document>".utf8)
        do { _ = try XMLParser.parse(bytes); Issue.record("accepted") } catch { #expect(error.code == .notUTF8) }
        // Overlong forms, surrogates, beyond U+10FFFF, a lone continuation byte, a sequence cut
        // short (also at the very end, in a comment, in an attribute): the whole document is UTF-8.
        for bad: [UInt8] in [
            [0xC0, 0x80], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0x80], [0xE2, 0x82],
        ] {
            for document in [
                Array("<r>".utf8) + bad + Array("</r>".utf8), Array("<r/><!--".utf8) + bad + Array("-->".utf8),
                Array("<r a=\"".utf8) + bad + Array("\"/>".utf8), Array("<r/>".utf8) + bad,
            ] {
                do { _ = try XMLParser.parse(document); Issue.record("accepted \(document)") } catch {
                    #expect(error.code == .notUTF8, "\(document)")
                }
            }
        }
        // Every length of well-formed sequence passes, and reads back as the same text.
        let text = "aé€𝄞 \u{10FFFF}"
        #expect((try? XMLParser.parse("<r>\(text)</r>"))?.text == text)
    }

    @Test func limitsOnSizeDepthAndElementCount() {
        var limits = XMLLimits()
        limits.maxBytes = 1_000
        let big = "<Document>" + String(repeating: "x", count: 2_000) + "</Document>"
        do { _ = try XMLParser.parse(big, limits: limits); Issue.record("accepted") } catch {
            #expect(error.code == .tooLarge)
        }
        // No limit, however raised, takes a document beyond the tree's 32-bit offsets.
        limits.maxBytes = Int.max
        #expect(limits.effectiveMaxBytes == Int(Int32.max))
        #expect((try? XMLParser.parse(big, limits: limits)) != nil)
        let deep = String(repeating: "<a>", count: 100) + String(repeating: "</a>", count: 100)
        do { _ = try XMLParser.parse(deep); Issue.record("accepted") } catch { #expect(error.code == .tooDeep) }
        let elementsMax = XMLLimits().maxElements
        let many = "<r>" + String(repeating: "<a/>", count: elementsMax + 1) + "</r>"
        do { _ = try XMLParser.parse(many); Issue.record("accepted") } catch { #expect(error.code == .tooManyElements) }
        // Just inside the limits it parses.
        let inside = "<r>" + String(repeating: "<a/>", count: elementsMax - 1) + "</r>"
        #expect((try? XMLParser.parse(inside))?.children.count == elementsMax - 1)
    }

    @Test func textEntitiesCDATACommentsAndNamespacesAreRead() throws {
        let xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <!-- a comment -->
            <e:Envelope xmlns:e="urn:e" xmlns:p="urn:p"><p:A q="&quot;x&quot; &amp; &#x41;&#66;">a &lt; b<!-- c --><![CDATA[ & <raw> ]]></p:A></e:Envelope>
            """
        let root = try XMLParser.parse(xml)
        #expect(root.namespace == "urn:e" && root.name == "Envelope")
        let child = try #require(root.child("A"))
        #expect(child.namespace == "urn:p" && child.attributes["q"] == "\"x\" & AB")
        #expect(child.text == "a < b & <raw> ")
    }

    @Test(arguments: [
        (#"<Document xmlns="urn:example:not-iso"/>"#, ISOMessageError.Code.unsupportedMessage),
        (#"<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.12"/>"#, .unsupportedMessage),
        (#"<AppHdr xmlns="urn:iso:std:iso:20022:tech:xsd:head.001.001.02"/>"#, .noDocument),
        (#"<Envelope><Other/></Envelope>"#, .noDocument),
        (
            #"<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08"><FIToFICstmrCdtTrf><GrpHdr><MsgId>M</MsgId></GrpHdr></FIToFICstmrCdtTrf></Document>"#,
            .missingElement
        ),
    ])
    func wrongNamespacesAndMissingPartsAreRefused(xml: String, code: ISOMessageError.Code) {
        do { _ = try ISOMessage.parse(xml); Issue.record("accepted") } catch { #expect(error.code == code, "\(error)") }
    }

    @Test func aMissingMandatoryElementIsNamedByItsPath() {
        let xml =
            #"<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08"><FIToFICstmrCdtTrf><GrpHdr><MsgId>M</MsgId><CreDtTm>2026-11-29T10:00:00Z</CreDtTm><NbOfTxs>1</NbOfTxs><SttlmInf><SttlmMtd>CLRG</SttlmMtd></SttlmInf></GrpHdr><CdtTrfTxInf><PmtId><InstrId>I</InstrId></PmtId></CdtTrfTxInf></FIToFICstmrCdtTrf></Document>"#
        do { _ = try ISOMessage.parse(xml); Issue.record("accepted") } catch {
            #expect(
                error.code == .missingElement
                    && error.path == "Document/FIToFICstmrCdtTrf/CdtTrfTxInf[1]/PmtId/EndToEndId", "\(error)")
        }
    }
}

extension XMLSafetyTests {
    /// Paths are made only when an error needs one, and say the same as ever: the list item's
    /// position, inside nested lists too.
    @Test func errorPathsNameListPositionsAtEveryDepth() {
        let header =
            #"<GrpHdr><MsgId>M</MsgId><CreDtTm>2026-11-29T10:00:00Z</CreDtTm><NbOfTxs>2</NbOfTxs><SttlmInf><SttlmMtd>CLRG</SttlmMtd></SttlmInf></GrpHdr>"#
        let good =
            #"<CdtTrfTxInf><PmtId><EndToEndId>E</EndToEndId></PmtId><IntrBkSttlmAmt Ccy="BRL">1.00</IntrBkSttlmAmt><ChrgBr>SHAR</ChrgBr><Dbtr/><DbtrAgt><FinInstnId/></DbtrAgt><CdtrAgt><FinInstnId/></CdtrAgt><Cdtr/></CdtTrfTxInf>"#
        let pacs008 =
            #"<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08"><FIToFICstmrCdtTrf>"# + header + good
            + good.replacingOccurrences(of: "<Cdtr/>", with: "") + "</FIToFICstmrCdtTrf></Document>"
        let amount = { (ccy: String) in
            #"<TxInf><OrgnlUETR>u</OrgnlUETR><OrgnlIntrBkSttlmAmt\#(ccy)>1.00</OrgnlIntrBkSttlmAmt></TxInf>"#
        }
        let camt056 =
            #"<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.056.001.08"><FIToFIPmtCxlReq><Assgnmt><Id>A</Id><Assgnr><Agt><FinInstnId><BICFI>BANKBRSP</BICFI></FinInstnId></Agt></Assgnr><Assgne><Agt><FinInstnId><BICFI>POLYXXXX</BICFI></FinInstnId></Agt></Assgne><CreDtTm>2026-11-29T10:00:00Z</CreDtTm></Assgnmt><Undrlyg>"#
            + amount(#" Ccy="BRL""#) + "</Undrlyg><Undrlyg>" + amount(#" Ccy="BRL""#) + amount("")
            + "</Undrlyg></FIToFIPmtCxlReq></Document>"
        for (xml, path) in [
            (pacs008, "Document/FIToFICstmrCdtTrf/CdtTrfTxInf[2]/Cdtr"),
            (camt056, "Document/FIToFIPmtCxlReq/Undrlyg[2]/TxInf[2]/OrgnlIntrBkSttlmAmt"),
        ] {
            do { _ = try ISOMessage.parse(xml); Issue.record("accepted") } catch {
                #expect(error.path == path, "\(error)")
            }
        }
    }

    /// The flat tree answers as the nested one did: children in document order, paths through
    /// repeated names take the first, texts and attributes per element; two parses of one
    /// document are equal, a changed text is not.
    @Test func theTreeKeepsOrderPathsAndContent() throws {
        let xml = #"<r xmlns="urn:a"><a n="1">x</a><b><c>1</c><c>2</c></b><a n="2">y<d/></a><p:e xmlns:p="urn:b"/></r>"#
        let root = try XMLParser.parse(xml)
        #expect(root.children.map(\.name) == ["a", "b", "a", "e"])
        #expect(root.children("a").map { $0.attributes["n"] } == ["1", "2"])
        #expect(root.value("b/c") == "1" && root.child("b")?.children("c").map(\.text) == ["1", "2"])
        #expect(root.descendant("a/d") == nil && root.children("a")[1].child("d") != nil)
        #expect(root.child("e")?.namespace == "urn:b" && root.child("b")?.namespace == "urn:a")
        #expect(root == (try XMLParser.parse(xml)))
        #expect(root != (try XMLParser.parse(xml.replacingOccurrences(of: ">y<", with: ">z<"))))
    }
}
