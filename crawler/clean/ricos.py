"""The words Ricos's viewer adds to a post's blocks, in the locales of its own translations
(wix/ricos `messages_<locale>.json`: en, fr, de, es, pt, nl, it).

Pure data: read by the body walk (crawler.extract.body), which drops a paragraph made of a note,
and by the text-dump cleaner (crawler.clean.vocabulary), which drops a line made of them.
"""

from __future__ import annotations

# Sentences the viewer writes as text of their own: the cover over an image, gallery or video
# marked as a spoiler ("Spoiler_Reveal_<Image|Gallery|Video>_Placeholder") and a poll's notes
# ("Poll_Viewer_Multiselect_Footer", "Poll_Viewer_Visibility_Owner_Footer").
RICOS_NOTES = (
    "This image contains a spoiler", "This gallery contains a spoiler",
    "This video contains a spoiler", "You can vote for more than one answer.",
    "Only you can see the results.",
    "Cette image contient un spoiler", "Cette galerie contient un spoiler",
    "Cette vidéo contient un spoiler", "Vous pouvez voter pour plus d'une réponse.",
    "Vous seul pouvez voir les résultats.",
    "Dieses Bild enthält einen Spoiler", "Diese Galerie enthält einen Spoiler",
    "Dieses Video enthält einen Spoiler", "Du kannst für mehr als eine Antwort stimmen.",
    "Nur du kannst die Ergebnisse sehen.",
    "La imagen contiene un spoiler", "Esta galería contiene un spoiler",
    "Este vídeo contiene un spoiler", "Puedes votar por más de una respuesta.",
    "Solo tú puedes ver los resultados.",
    "Essa imagem contém um spoiler", "Essa galeria contém um spoiler",
    "Esse vídeo contém um spoiler", "Você pode votar em mais de uma resposta.",
    "Só você pode ver os resultados.",
    "Deze afbeelding bevat een spoiler", "Deze galerij bevat een spoiler",
    "Deze video bevat een spoiler", "Je kunt stemmen op meer dan één antwoord.",
    "Alleen jij kunt de resultaten zien.",
    "Questa immagine contiene uno spoiler", "Questa galleria contiene uno spoiler",
    "Questo video contiene uno spoiler", "Puoi votare per più di una risposta.",
    "Solo tu puoi vedere i risultati.",
)
# Its buttons' labels: revealing a spoiler ("Spoiler_Reveal_…_CTA") and a poll's options
# ("Poll_Viewer_ShowAllOptions_CTA", "…ShowAllResults_CTA", "…ShowLess_CTA"). In HTML they sit in
# <button>s, which the body walk skips; a text dump prints them as lines.
RICOS_BUTTONS = (
    "Reveal Image", "Reveal Gallery", "Reveal Video", "See All Options", "See All Results",
    "Show Less",
    "Révéler l'image", "Révéler la galerie", "Révéler la vidéo", "Voir toutes les options",
    "Voir tous les résultats", "Afficher moins",
    "Bild enthüllen", "Galerie enthüllen", "Video enthüllen", "Alle Optionen sehen",
    "Alle Ergebnisse ansehen", "Weniger anzeigen",
    "Mostrar imagen", "Mostrar galería", "Mostrar vídeo", "Ver todas las opciones",
    "Ver todos los resultados", "Mostrar menos",
    "Revelar imagem", "Revelar galeria", "Revelar vídeo", "Ver todas as opções",
    "Ver todos os resultados",
    "Afbeelding laten zien", "Galerij laten zien", "Video laten zien", "Alle opties bekijken",
    "Bekijk alle resultaten", "Minder weergeven",
    "Mostra immagine", "Mostra galleria", "Mostra video", "Tutte le opzioni",
    "Vedi tutti i risultati", "Mostra meno",
)
RICOS_NOTE_SET = frozenset(RICOS_NOTES)
